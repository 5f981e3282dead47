"""`python -m bench [--quick] [--device cuda]`: see bench/README.md."""

from .run_all import main

main()
