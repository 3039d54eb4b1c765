"""``jsonable_encoder`` (FastAPI's ``fastapi.encoders``)."""

from ferrule.validation import jsonable_encoder as jsonable_encoder

__all__ = ["jsonable_encoder"]
