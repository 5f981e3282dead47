"""Background training jobs: the shared job base (thread, stop, errors), the job kinds, and the registry."""
