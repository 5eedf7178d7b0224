"""Workplace (Meta) / Meta Work Accounts user provisioning as Pulumi resources, over SCIM 2.0."""

from pulumi_workplace._version import __version__

__all__ = ["__version__"]
