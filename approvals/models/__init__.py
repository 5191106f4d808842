"""Models of the closed loop, one module per concern."""

from .approval import ApprovalRequest
from .calendar import Holiday
from .integrity import ColourSpan, RatingAppeal
from .obstacle import Attachment, Obstacle, ObstacleCategory
from .org import Department, Profile
from .task import Callback, Task, TaskEvent

__all__ = [
    "ApprovalRequest",
    "Attachment",
    "Callback",
    "ColourSpan",
    "Department",
    "Holiday",
    "Obstacle",
    "ObstacleCategory",
    "Profile",
    "RatingAppeal",
    "Task",
    "TaskEvent",
]
