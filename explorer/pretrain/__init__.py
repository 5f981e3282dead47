"""The Pretrain page family (Pretrain and Home): the form and its callbacks, data checks, the lesson."""
