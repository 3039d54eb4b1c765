"""Parameter marker classes (FastAPI's ``fastapi.params``)."""

from ferrule.di.markers import Depends as Depends
from ferrule.di.markers import Security as Security
from ferrule.validation.params import Body as Body
from ferrule.validation.params import Cookie as Cookie
from ferrule.validation.params import File as File
from ferrule.validation.params import Form as Form
from ferrule.validation.params import Header as Header
from ferrule.validation.params import Param as Param
from ferrule.validation.params import ParamTypes as ParamTypes
from ferrule.validation.params import Path as Path
from ferrule.validation.params import Query as Query

__all__ = ["Body", "Cookie", "Depends", "File", "Form", "Header", "Param", "ParamTypes", "Path", "Query", "Security"]
