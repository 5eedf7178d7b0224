"""Pulumi resources: the `User` dynamic resource and the `Provisioning` component."""
