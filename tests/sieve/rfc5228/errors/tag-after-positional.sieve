require "fileinto";
# a tag written after the positional arguments
fileinto "Junk" :copy;
