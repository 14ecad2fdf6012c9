"""Benchmarks: each module's ``main()`` prints measurements taken side by side in one run."""
