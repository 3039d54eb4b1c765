"""ferrule.validation: parameter markers, per-endpoint request validation, 422 errors, response serialization.

The marker *functions* users call (``Query()``, ``Body()``...) are exported
here; the marker *classes* live in ``ferrule.validation.params`` (FastAPI's
``fastapi.params``).
"""

from .compile import RequestConfig as RequestConfig
from .compile import RequestValidator as RequestValidator
from .compile import compile_request as compile_request
from .encoders import jsonable_encoder as jsonable_encoder
from .errors import EndpointContext as EndpointContext
from .errors import RequestValidationError as RequestValidationError
from .errors import ResponseValidationError as ResponseValidationError
from .errors import ValidationException as ValidationException
from .errors import WebSocketRequestValidationError as WebSocketRequestValidationError
from .errors import request_validation_exception_handler as request_validation_exception_handler
from .fields import ParamConfigError as ParamConfigError
from .fields import ParamField as ParamField
from .fields import ParamLocation as ParamLocation
from .fields import analyze_param as analyze_param
from .param_functions import Body as Body
from .param_functions import Cookie as Cookie
from .param_functions import File as File
from .param_functions import Form as Form
from .param_functions import Header as Header
from .param_functions import Path as Path
from .param_functions import Query as Query
from .params import FieldOptions as FieldOptions
from .params import ParamTypes as ParamTypes
from .serialize import ResponseConfigError as ResponseConfigError
from .serialize import ResponseSerializer as ResponseSerializer
from .serialize import compile_response as compile_response
from .serialize import serialize_without_model as serialize_without_model
from .uploads import UploadFile as UploadFile

__all__ = [
    "Body",
    "Cookie",
    "EndpointContext",
    "FieldOptions",
    "File",
    "Form",
    "Header",
    "ParamConfigError",
    "ParamField",
    "ParamLocation",
    "ParamTypes",
    "Path",
    "Query",
    "RequestConfig",
    "RequestValidationError",
    "RequestValidator",
    "ResponseConfigError",
    "ResponseSerializer",
    "ResponseValidationError",
    "UploadFile",
    "ValidationException",
    "WebSocketRequestValidationError",
    "analyze_param",
    "compile_request",
    "compile_response",
    "jsonable_encoder",
    "request_validation_exception_handler",
    "serialize_without_model",
]
