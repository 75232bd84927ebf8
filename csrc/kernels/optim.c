/* optim family */
#include "../mk.h"

void mk_register_optim(void) {
}
