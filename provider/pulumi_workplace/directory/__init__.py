"""Directory sources: the people and groups provisioning starts from.

`Directory.from_csv`, `from_json`, `from_yaml` read files (formats in `csv_files` and
`documents`, and in docs/directory-formats.md); `Directory.from_graph` reads Microsoft Graph.
"""

from pulumi_workplace.directory.directory import DEFAULT_MAX_BYTES, Directory
from pulumi_workplace.directory.errors import DirectoryError, InputError
from pulumi_workplace.directory.model import AttributeValue, Group, Person

__all__ = [
    "DEFAULT_MAX_BYTES",
    "AttributeValue",
    "Directory",
    "DirectoryError",
    "Group",
    "InputError",
    "Person",
]
