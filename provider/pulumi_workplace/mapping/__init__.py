"""Attribute mappings (Entra ID's model and expression language) and scoping filters.

`Mapping` describes one target attribute; `default_mappings()` is Workplace's table and
`merge_mappings` overrides it; `evaluate_mappings` turns a person into a `MappedAccount`.
Expressions use Entra ID's syntax and functions (`parser`, `functions`). Scoping filters
(`ScopingFilter`, `ScopingClause`) decide who is in scope.
"""

from pulumi_workplace.mapping.checks import check_mappings
from pulumi_workplace.mapping.defaults import (
    ServerFit,
    default_mappings,
    fit_to_server,
    merge_mappings,
)
from pulumi_workplace.mapping.errors import ExpressionError, MappingError, ScopingError
from pulumi_workplace.mapping.evaluate import MappedAccount, MappingSet, evaluate_mappings
from pulumi_workplace.mapping.expression import Expression, compile_expression
from pulumi_workplace.mapping.functions import FUNCTIONS, NON_DETERMINISTIC
from pulumi_workplace.mapping.model import Apply, Mapping, MappingType
from pulumi_workplace.mapping.scoping import (
    OPERATORS,
    ScopingClause,
    ScopingFilter,
    compile_filters,
    in_scope,
)

__all__ = [
    "FUNCTIONS",
    "NON_DETERMINISTIC",
    "OPERATORS",
    "Apply",
    "Expression",
    "ExpressionError",
    "MappedAccount",
    "Mapping",
    "MappingError",
    "MappingSet",
    "MappingType",
    "ScopingClause",
    "ScopingError",
    "ScopingFilter",
    "ServerFit",
    "check_mappings",
    "compile_expression",
    "compile_filters",
    "default_mappings",
    "evaluate_mappings",
    "fit_to_server",
    "in_scope",
    "merge_mappings",
]
