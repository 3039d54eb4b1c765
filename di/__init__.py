"""ferrule.di: dependency injection, analysed once per endpoint and solved per request.

``compile_endpoint`` turns an endpoint into an ``EndpointPlan`` at startup
(graph analysis, checks, a frozen tuple of steps); ``EndpointPlan.solve`` runs
it for each request. See ``graph``, ``plan``, ``steps`` and ``teardown`` for the rules.
"""

from .app_scope import AppScope as AppScope
from .callables import CallKind as CallKind
from .errors import DependencyConfigError as DependencyConfigError
from .errors import DependencyCycleError as DependencyCycleError
from .errors import DependencyError as DependencyError
from .errors import DependencyRuntimeError as DependencyRuntimeError
from .errors import DependencyScopeError as DependencyScopeError
from .errors import FastAPIError as FastAPIError
from .dependant import Argument as Argument
from .dependant import Dependant as Dependant
from .dependant import SecurityRequirement as SecurityRequirement
from .dependant import SpecialKind as SpecialKind
from .graph import build_dependant as build_dependant
from .markers import SecurityBase as SecurityBase
from .markers import SecurityScopes as SecurityScopes
from .overrides import DependencyOverrides as DependencyOverrides
from .param_functions import Depends as Depends
from .param_functions import Security as Security
from .plan import EndpointPlan as EndpointPlan
from .plan import compile_endpoint as compile_endpoint
from .context import SolveContext as SolveContext
from .context import Stage as Stage
from .context import StageObserver as StageObserver
from .teardown import TeardownStack as TeardownStack

__all__ = [
    "AppScope",
    "Argument",
    "CallKind",
    "Dependant",
    "DependencyConfigError",
    "DependencyCycleError",
    "DependencyError",
    "DependencyOverrides",
    "DependencyRuntimeError",
    "DependencyScopeError",
    "Depends",
    "EndpointPlan",
    "FastAPIError",
    "Security",
    "SecurityBase",
    "SecurityRequirement",
    "SecurityScopes",
    "SolveContext",
    "SpecialKind",
    "Stage",
    "StageObserver",
    "TeardownStack",
    "build_dependant",
    "compile_endpoint",
]
