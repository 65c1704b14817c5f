"""The partnership: organisations, the people who log in (one organisation, one role), purposes.

The package's API is its modules' (``model``: plain data; ``store``: the operational store;
``accounts``: passwords, sessions and API tokens, imported from there), so it is not listed twice.
"""

from sharewell.partnership import model as _model
from sharewell.partnership import store as _store
from sharewell.partnership.model import *  # noqa: F403
from sharewell.partnership.store import *  # noqa: F403

__all__ = [*_model.__all__, *_store.__all__]
