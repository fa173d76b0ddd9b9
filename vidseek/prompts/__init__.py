"""Prompt templates, loaded as package data by vidseek.pipeline.answer."""
