"""Classroom use: the teacher, run limits, owner ids, password back-off, the join hint."""
