"""Parameter functions (FastAPI's ``fastapi.param_functions``)."""

from ferrule.di import Depends as Depends
from ferrule.di import Security as Security
from ferrule.validation.param_functions import Body as Body
from ferrule.validation.param_functions import Cookie as Cookie
from ferrule.validation.param_functions import File as File
from ferrule.validation.param_functions import Form as Form
from ferrule.validation.param_functions import Header as Header
from ferrule.validation.param_functions import Path as Path
from ferrule.validation.param_functions import Query as Query

__all__ = ["Body", "Cookie", "Depends", "File", "Form", "Header", "Path", "Query", "Security"]
