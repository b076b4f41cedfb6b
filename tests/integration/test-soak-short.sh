# The soak, short (make soak runs the long one and the valgrind pass):
# 10 back-and-forth verified migrations and 4 concurrent, nothing lost,
# duplicated or corrupted.
exec sh "$(dirname "$0")/soak.sh" 10 4
