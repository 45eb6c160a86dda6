"""The labeling config: parse, validate and rewrite a project's Label Studio XML (a subset).

The config is read by the API (which validates it), the import (which checks completions
against it), training (which reads its labels and choices) and deployment (which rewrites its
``model`` attributes). All of them come here, so this package is pure Python + lxml with no
Django import: it works without settings, and ``projects`` stays free of ``training`` (the known
models are passed in as plain ``KnownModel`` values).

The XML comes from users, so it is parsed defensively: a size cap before parsing, no DTD at all
(which rules out XXE and entity expansion bombs whatever the parser's defaults), no network.

Its modules: ``types`` (the limits, tag sets, known models, errors and the typed config),
``reading`` (the hardened XML reader), ``validation`` (``validate_labeling_config`` and
``parse_labeling_config``) and ``deployment`` (``bind_models``).
"""

from projects.labeling_config.deployment import bind_models
from projects.labeling_config.types import (
    ASSERTION_NER_MODEL_MESSAGE,
    CONTROL_TAGS,
    LAYOUT_TAGS,
    MAX_CONFIG_BYTES,
    OBJECT_TAGS,
    RELATION_TAGS,
    SUPPORTED_TAGS,
    ChoiceDef,
    ChoiceMode,
    ChoicesGroup,
    ConfigError,
    KnownModel,
    LabelDef,
    LabelingConfig,
    LabelingConfigError,
    LabelsGroup,
    ModelSource,
    ModelType,
    ObjectTag,
)
from projects.labeling_config.validation import parse_labeling_config, validate_labeling_config

__all__ = [
    "ASSERTION_NER_MODEL_MESSAGE",
    "CONTROL_TAGS",
    "LAYOUT_TAGS",
    "MAX_CONFIG_BYTES",
    "OBJECT_TAGS",
    "RELATION_TAGS",
    "SUPPORTED_TAGS",
    "ChoiceDef",
    "ChoiceMode",
    "ChoicesGroup",
    "ConfigError",
    "KnownModel",
    "LabelDef",
    "LabelingConfig",
    "LabelingConfigError",
    "LabelsGroup",
    "ModelSource",
    "ModelType",
    "ObjectTag",
    "bind_models",
    "parse_labeling_config",
    "validate_labeling_config",
]
