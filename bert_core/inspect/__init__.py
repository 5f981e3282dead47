"""What the pages ask of a model: attributions, layer-by-layer predictions, probes."""
