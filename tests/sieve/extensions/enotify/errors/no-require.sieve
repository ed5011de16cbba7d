notify "mailto:a@example.net";
