"""The MADPG model: config and presets, modules, vocabulary. No Qt here."""
