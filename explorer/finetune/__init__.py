"""The Fine-tune page: its form and callbacks, and its result views."""
