"""Config-only provisioning: everything is in Pulumi.<stack>.yaml under `workplace:`."""

from pulumi_workplace.program import main

main()
