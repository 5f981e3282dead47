"""The Runs page: saved runs on disk, who may see them, the runs table, interrupted runs."""
