"""Reading the author's content, shared by the plugins and the tools: front
matter, Pelican's content lists, file positions, spreadsheets."""
