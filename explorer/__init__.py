"""BERT Explorer: the Streamlit app's glue between the pages and `bert_core` (state, jobs, charts, runs)."""
