from .adaptation import *  # noqa: F401,F403
from .backbones import *  # noqa: F401,F403
from .decode_heads import *  # noqa: F401,F403
from .discriminators import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .segmentors import *  # noqa: F401,F403
