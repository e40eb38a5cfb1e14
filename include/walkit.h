/* walkit: durable-storage primitives. The umbrella header. */
#ifndef WALKIT_H
#define WALKIT_H

#include "walkit/version.h"
#include "walkit/errors.h"
#include "walkit/vfs.h"
#include "walkit/log.h"
#include "walkit/journal.h"
#include "walkit/ring.h"
#include "walkit/blob.h"
#include "walkit/meta.h"

#endif
