def register():
    # Loaded when Pelican registers the plugin, so that `invoke new` and
    # series_pages import the header models and the slug rule (schema.py) alone.
    from .content_guard import register as connect  # noqa: PLC0415

    connect()
