"""The knowledge API (mounted in yichuang/api.py)."""

from ninja import Router

router = Router(tags=["knowledge"])
