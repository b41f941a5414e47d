"""The notes service: settings, storage, validation and authentication."""
