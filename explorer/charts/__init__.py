"""Plotly figures: training curves, fine-tuning results, inspection views, and the charts' help texts."""
