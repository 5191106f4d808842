"""Wagtail pages of the public front (policy guides and checklists come with the CMS work)."""
