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
``parse_labeling_config``), ``deployment`` (``bind_models``, ``set_bindings``) and ``bindings``
(the ``{tag: model}`` map a deployment record keeps).
"""

from projects.labeling_config.bindings import (
    BindingPlace,
    binding_map,
    binding_places,
    changed_tags,
)
from projects.labeling_config.deployment import bind_models, set_bindings
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
    "BindingPlace",
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
    "binding_map",
    "binding_places",
    "changed_tags",
    "parse_labeling_config",
    "set_bindings",
    "validate_labeling_config",
]
