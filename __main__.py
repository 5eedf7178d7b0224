"""Root Pulumi program: Workplace provisioning driven by `workplace:` stack config."""

from pulumi_workplace.program import main

main()
