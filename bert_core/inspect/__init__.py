"""Looking inside a model: fill-mask and next-sentence guesses (`fill_mask`), attention maps and head
statistics (`attention`), attention between whole words (`word_attention`), hidden-state embeddings
(`embeddings`) and their 2-D/3-D maps (`projection`); why a prediction came out (`attributions`, and
`faithfulness` to check them), what the model guesses after each layer (`lens`) and what each layer
knows (`probes`)."""
