"""``SecurityBase``: the base class of security schemes (defined in ``ferrule.di.markers``)."""

from ferrule.di.markers import SecurityBase as SecurityBase

__all__ = ["SecurityBase"]
