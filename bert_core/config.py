"""BERT hyper-parameters, with Hugging Face's field names and `config.json` format."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

SUPPORTED_ACTIVATIONS = ("gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu", "swish")

# The Google "small BERT" grid (Turc et al., 2019): (layers, hidden, heads).
PRESETS: dict[str, tuple[int, int, int]] = {
    "tiny": (2, 128, 2),
    "mini": (4, 256, 4),
    "small": (4, 512, 8),
    "medium": (8, 512, 8),
    "base": (12, 768, 12),
}


@dataclass
class BertConfig:
    """Architecture of a BERT model. Field names match `transformers.BertConfig`."""

    vocab_size: int = 30522  # rows of the word-embedding table (and MLM output classes)
    hidden_size: int = 768  # width of every token vector
    num_hidden_layers: int = 12  # encoder layers
    num_attention_heads: int = 12  # heads per layer; must divide hidden_size
    intermediate_size: int = 3072  # width of the feed-forward block (4 × hidden by convention)
    hidden_act: str = "gelu"  # activation in the feed-forward block and MLM transform
    hidden_dropout_prob: float = 0.1  # dropout after embeddings, attention output and feed-forward
    attention_probs_dropout_prob: float = 0.1  # dropout on attention probabilities
    max_position_embeddings: int = 512  # longest input in tokens
    type_vocab_size: int = 2  # segment ids (sentence A / B)
    initializer_range: float = 0.02  # std of the normal initialiser
    layer_norm_eps: float = 1e-12  # LayerNorm epsilon (BERT's original value)
    pad_token_id: int = 0  # id of [PAD]; its embedding row gets no gradient
    num_labels: int = 2  # classes of a sequence-classification head (2 for QA start/end)
    classifier_dropout: float | None = None  # dropout before the classifier; None → hidden_dropout_prob
    id2label: dict[int, str] | None = None  # class names of a classification head
    extra: dict[str, Any] = field(default_factory=dict, repr=False)  # unknown config.json keys, kept on save

    def __post_init__(self) -> None:
        for name in (
            "vocab_size",
            "hidden_size",
            "num_hidden_layers",
            "num_attention_heads",
            "intermediate_size",
            "max_position_embeddings",
            "type_vocab_size",
            "num_labels",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) must be divisible by "
                f"num_attention_heads ({self.num_attention_heads})"
            )
        for name in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {value!r}")
        if self.classifier_dropout is not None and not 0.0 <= self.classifier_dropout < 1.0:
            raise ValueError(f"classifier_dropout must be in [0, 1), got {self.classifier_dropout!r}")
        if self.hidden_act not in SUPPORTED_ACTIVATIONS:
            raise ValueError(f"hidden_act must be one of {SUPPORTED_ACTIVATIONS}, got {self.hidden_act!r}")
        if self.layer_norm_eps <= 0 or self.initializer_range <= 0:
            raise ValueError(
                f"layer_norm_eps and initializer_range must be positive, got "
                f"{self.layer_norm_eps!r} and {self.initializer_range!r}"
            )
        if not 0 <= self.pad_token_id < self.vocab_size:
            raise ValueError(f"pad_token_id {self.pad_token_id} is outside the vocabulary (size {self.vocab_size})")
        if self.id2label is not None:
            self.id2label = {int(k): str(v) for k, v in self.id2label.items()}
            if sorted(self.id2label) != list(range(self.num_labels)):
                raise ValueError(f"id2label keys must be 0..{self.num_labels - 1}, got {sorted(self.id2label)}")

    @property
    def head_size(self) -> int:
        """Width of one attention head."""
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> BertConfig:
        """A config from the small-BERT grid (`tiny`, `mini`, `small`, `medium`, `base`).

        Raises:
            ValueError: for an unknown preset name.
        """
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
        layers, hidden, heads = PRESETS[name]
        values: dict[str, Any] = dict(
            num_hidden_layers=layers, hidden_size=hidden, num_attention_heads=heads, intermediate_size=4 * hidden
        )
        values.update(overrides)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The `config.json` content, in Hugging Face's format."""
        data = asdict(self)
        extra = data.pop("extra")
        id2label = data.pop("id2label")
        out: dict[str, Any] = {**extra, "model_type": "bert", **data}
        if id2label is not None:
            out["id2label"] = {str(k): v for k, v in id2label.items()}
            out["label2id"] = {v: k for k, v in id2label.items()}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BertConfig:
        """Build from a `config.json` dict; unknown keys are kept in `extra`.

        Raises:
            ValueError: when the dict is not a BERT config or does not validate.
        """
        model_type = data.get("model_type", "bert")
        if model_type != "bert":
            raise ValueError(f"not a BERT config: model_type is {model_type!r}")
        known = {f.name for f in fields(cls)} - {"extra"}
        values = {k: v for k, v in data.items() if k in known}
        if "num_labels" not in data and data.get("id2label"):
            values["num_labels"] = len(data["id2label"])
        extra = {k: v for k, v in data.items() if k not in known and k not in ("model_type", "label2id")}
        return cls(**values, extra=extra)

    def to_json(self, path: str | Path) -> None:
        """Write a Hugging Face `config.json` (a directory gets `config.json` inside it)."""
        path = Path(path)
        if path.is_dir():
            path = path / "config.json"
        path.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, path: str | Path) -> BertConfig:
        """Read a Hugging Face `config.json` (or the directory holding it).

        Raises:
            FileNotFoundError: when there is no config file.
            ValueError: when the file is not valid JSON or not a valid BERT config.
        """
        path = Path(path)
        if path.is_dir():
            path = path / "config.json"
        if not path.is_file():
            raise FileNotFoundError(f"no config.json at {path}")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ValueError(f"{path} must hold a JSON object, got {type(data).__name__}")
        return cls.from_dict(data)
