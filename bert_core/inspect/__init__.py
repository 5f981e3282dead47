"""Looking inside a model: fill-mask and next-sentence guesses (`fill_mask`), attention maps and head
statistics (`attention`), hidden-state embeddings (`embeddings`) and their 2-D/3-D maps (`projection`)."""
