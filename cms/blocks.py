"""StreamField blocks for the checklists (一纸清) and guides."""

from django.utils.translation import gettext_lazy as _

from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock

MATERIAL_FORMS = [
    ("original", _("original")),
    ("copy", _("copy")),
    ("original_and_copy", _("original and copy")),
    ("electronic", _("electronic")),
]


class MaterialForm(blocks.ChoiceBlock):
    choices = MATERIAL_FORMS


class MaterialValue(blocks.StructValue):
    @property
    def form_label(self) -> str:
        return str(dict(MATERIAL_FORMS).get(self.get("form"), ""))


class MaterialBlock(blocks.StructBlock):
    """One document a procedure needs: what, in which form, how many, when."""

    name = blocks.CharBlock(label=_("material"), max_length=120)
    form = MaterialForm(label=_("original or copy"), default="original")
    copies = blocks.IntegerBlock(label=_("copies"), min_value=0, default=1)
    is_required = blocks.BooleanBlock(
        label=_("always required"), required=False, default=True,
        help_text=_("Untick when the material is needed only under a condition."),
    )
    condition = blocks.CharBlock(
        label=_("condition"), required=False, max_length=200,
        help_text=_("When the material is needed, for conditional materials."),
    )
    notes = blocks.TextBlock(label=_("remarks"), required=False)
    sample = DocumentChooserBlock(label=_("sample or template"), required=False)

    class Meta:
        icon = "doc-full"
        label = _("material")
        value_class = MaterialValue


class StepBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("step"), max_length=120)
    text = blocks.TextBlock(label=_("what to do"), required=False)

    class Meta:
        icon = "list-ol"
        label = _("step")


class QuestionBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("question"), max_length=200)
    answer = blocks.TextBlock(label=_("answer"))

    class Meta:
        icon = "help"
        label = _("question and answer")
