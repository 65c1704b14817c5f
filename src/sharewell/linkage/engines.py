"""Engine choice behind one function: DuckDB (default, one machine) or Spark (a cluster).

Spark is imported only when asked for, so a hub without pyspark or Java works as before
and a request for Spark fails with a message saying what to install.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from splink import DuckDBAPI
from splink.internals.database_api import DatabaseAPISubClass
from splink.internals.splink_dataframe import SplinkDataFrame

from sharewell.config import Engine
from sharewell.errors import LinkageError

__all__ = ["EngineSession", "open_engine", "scratch_connection"]

# DuckDB's share of memory: the budget is 4 GB peak for a county of 1M records, and
# Python, Splink and the result tables need the rest.
DUCKDB_MEMORY_LIMIT = "3GB"


def scratch_connection(temp_dir: Path, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that spills to ``temp_dir`` rather than run out."""
    temp_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:")
    con.execute(f"SET temp_directory = '{temp_dir}'")
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    # Insertion order is irrelevant to linkage and keeping it costs memory.
    con.execute("SET preserve_insertion_order = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


@dataclass
class EngineSession:
    """A Splink database API on one engine, with ways to move parquet in and out of it."""

    name: Engine
    db_api: DatabaseAPISubClass
    spark: Any = None

    def register_parquet(self, path: Path, name: str) -> SplinkDataFrame:
        """Load a parquet file as a Splink input table named ``name``."""
        if self.name == "spark":
            frame = self.spark.read.parquet(str(path))
            return self.db_api.register(frame, table_name=name)
        con = self.db_api.duckdb_con
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_parquet('{path}')")
        return self.db_api.register(name, table_name=name)

    def write_parquet(self, frame: SplinkDataFrame, path: Path) -> None:
        """Write a Splink result table to one parquet file (or a Spark directory)."""
        if self.name == "spark":
            frame.as_spark_dataframe().write.mode("overwrite").parquet(str(path))
            return
        con = self.db_api.duckdb_con
        con.execute(f"COPY (SELECT * FROM {frame.physical_name}) TO '{path}' (FORMAT parquet)")

    def close(self) -> None:
        """Release the engine's resources (Spark keeps its session for reuse)."""
        if self.name == "duckdb":
            self.db_api.duckdb_con.close()


def _spark_session(master: str) -> Any:
    try:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location
    except ImportError as exc:
        raise LinkageError(
            "the spark engine needs pyspark: install it with `pip install 'sharewell[spark]'` "
            "or choose engine duckdb (SHAREWELL_ENGINE=duckdb)"
        ) from exc
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise LinkageError(
            "the spark engine needs Java 17: install a JDK (e.g. `apt-get install "
            "openjdk-17-jre-headless`) or choose engine duckdb"
        )
    try:
        return (
            SparkSession.builder.master(master)
            .appName("sharewell-linkage")
            .config("spark.jars", similarity_jar_location())
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.default.parallelism", "4")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.memory", "2g")
            .getOrCreate()
        )
    except Exception as exc:  # Java gateway failures surface as generic exceptions
        raise LinkageError(f"cannot start Spark at {master}: {exc}") from exc


def open_engine(engine: Engine, *, temp_dir: Path, spark_master: str = "local[2]") -> EngineSession:
    """A Splink database API on ``engine``; DuckDB in memory with spill to ``temp_dir``."""
    if engine == "duckdb":
        return EngineSession("duckdb", DuckDBAPI(connection=scratch_connection(temp_dir)))
    if engine == "spark":
        spark = _spark_session(spark_master)
        from splink.backends.spark import SparkAPI

        checkpoint = temp_dir / "spark-checkpoints"
        checkpoint.mkdir(parents=True, exist_ok=True)
        spark.sparkContext.setCheckpointDir(str(checkpoint))
        # On one machine, caching beats writing every intermediate table to parquet.
        lineage = "persist" if spark_master.startswith("local") else None
        api = SparkAPI(spark_session=spark, break_lineage_method=lineage)
        return EngineSession("spark", api, spark=spark)
    raise LinkageError(f"unknown linkage engine {engine!r}: choose duckdb or spark")
