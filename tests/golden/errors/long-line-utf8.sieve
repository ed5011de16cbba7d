require "fileinto";
# UTF-8 around a mistake on a long line: the window cuts between characters
if header :is "subject" "ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語ß日本語" { fileinto :flagz "x"; } # ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€ü€
