"""placeholder"""
from fastapi import APIRouter
pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/linkage", tags=["linkage"])
