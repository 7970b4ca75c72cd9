// Linked with every object of every domain library (--whole-archive) and
// netra_base alone: building it proves the domains need nothing else (no
// SQLite, gRPC, Redis or Prometheus symbol). See CMakeLists.txt.
int main() { return 0; }
