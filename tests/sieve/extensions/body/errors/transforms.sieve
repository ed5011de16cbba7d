require "body";
if body :raw :text :contains "x" { keep; }
if body :content "text" :raw :contains "x" { keep; }
