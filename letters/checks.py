"""System checks that keep the letters on their fast path.

Without HarfBuzz subsetting (Debian ``libharfbuzz-subset0``) WeasyPrint
subsets the 65,000-glyph CJK font in pure Python: about 8 s per letter instead
of 0.1 s, which would make a 20,000-letter batch take two days. That is an
error, not a warning, so a machine without it does not start."""

from django.core.checks import Error, Warning, register


@register()
def harfbuzz_subset_check(app_configs, **kwargs):
    from .pdf import harfbuzz_subsetting_available

    if harfbuzz_subsetting_available():
        return []
    return [Error(
        "WeasyPrint cannot subset fonts with HarfBuzz: letters would take seconds each.",
        hint="Install the Debian package libharfbuzz-subset0 (make run does).",
        id="letters.E001",
    )]


@register()
def subset_fonts_check(app_configs, **kwargs):
    from .pdf import font_dir, subset_fonts_present

    if subset_fonts_present():
        return []
    return [Warning(
        f"The GB2312 subset fonts are missing from {font_dir()}: letters use the full "
        "Noto Sans CJK SC, slower and larger.",
        hint="Run `make fonts` or `manage.py letter_fonts`.",
        id="letters.W001",
    )]
