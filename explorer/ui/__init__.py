"""Widgets shared by the pages: live job panels, presenter mode, stale-widget guards, safe markdown."""
