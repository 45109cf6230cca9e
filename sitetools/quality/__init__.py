"""Quality: `invoke check` (check), `invoke audit` (Lighthouse) and `invoke bench`."""
