"""The inspection pages (Fill-mask, Attention, Embeddings): the model to inspect, texts, cached computations."""
