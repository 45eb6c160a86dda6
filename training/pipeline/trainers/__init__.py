"""One module per model type, each with ``train(context) -> list[TrainedModel]``."""
