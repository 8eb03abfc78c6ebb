/*
 * ir.h — the intermediate representation shared by frontends and backends.
 *
 * A block (IRBlock) is a list of ops over temps. Temps are 64-bit values of
 * three kinds: globals (guest state living in the CPU structure at a fixed
 * offset from env; ids 0..nb_globals-1), locals (scratch values that live
 * only inside one basic block) and constants. Ops are defined once, in
 * ir/ops.def; read that file for the exact semantics of each op.
 */
#ifndef MIMIC_IR_H
#define MIMIC_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum {
    IR_OPF_SIDE_EFFECTS = 1 << 0, /* never removed by dead-code elimination */
    IR_OPF_BB_END = 1 << 1,       /* ends a basic block: globals written back */
    IR_OPF_MEM = 1 << 2,          /* guest memory access; may fault */
    IR_OPF_CALL = 1 << 3,         /* helper call */
    IR_OPF_EXIT = 1 << 4,         /* leaves the translated block */
    IR_OPF_COMMUTATIVE = 1 << 5,
    IR_OPF_MAY_FAULT = 1 << 6,    /* may leave through fault_jmp: globals exact */
};

typedef enum IROpcode {
#define IR_OP(name, nout, nin, nconst, flags) IR_##name,
#include "../../ir/ops.def"
#undef IR_OP
    IR_NB_OPS
} IROpcode;

typedef struct IROpDef {
    const char *name;
    uint8_t nb_out, nb_in, nb_const;
    uint32_t flags;
} IROpDef;

extern const IROpDef ir_op_defs[IR_NB_OPS];

/* Conditions for setcond, movcond and brcond. */
typedef enum IRCond {
    IR_COND_EQ,
    IR_COND_NE,
    IR_COND_LT,  /* signed */
    IR_COND_GE,
    IR_COND_LTU, /* unsigned */
    IR_COND_GEU,
    IR_NB_CONDS
} IRCond;

/* Memory access descriptor for ld and st: log2 of the size, plus sign. */
typedef enum IRMemOp {
    IR_MO_8 = 0,
    IR_MO_16 = 1,
    IR_MO_32 = 2,
    IR_MO_64 = 3,
    IR_MO_SIZE_MASK = 3,
    IR_MO_SIGN = 4,
    /* System mode: the soft-MMU mode (TLB) the access uses, 0..3. */
    IR_MO_MMU_SHIFT = 3,
    IR_MO_MMU_MASK = 3 << 3,
} IRMemOp;

typedef enum IRTempKind {
    IR_TEMP_GLOBAL,
    IR_TEMP_LOCAL,
    IR_TEMP_CONST,
} IRTempKind;

typedef uint16_t IRTempId;
#define IR_MAX_TEMPS 65535

typedef struct IRTemp {
    uint8_t kind;        /* IRTempKind */
    int32_t env_offset;  /* globals: byte offset of the value from env */
    uint64_t val;        /* constants: the value */
    const char *name;    /* globals: name for dumps */
} IRTemp;

#define IR_MAX_OUT 1
#define IR_MAX_IN 4
#define IR_MAX_CONST 2

typedef struct IROp {
    uint16_t opc;                /* IROpcode */
    uint8_t dead_in;             /* liveness: bit i set = in[i] not read later */
    uint8_t pad;
    IRTempId out[IR_MAX_OUT];
    IRTempId in[IR_MAX_IN];
    uint64_t c[IR_MAX_CONST];
} IROp;

/* A helper callable from translated code: uint64_t fn(env, a, b, c). */
typedef struct IRHelper {
    const char *name;
    uint64_t (*fn)(void *env, uint64_t a, uint64_t b, uint64_t c);
} IRHelper;

/* The fp op (ops.def). Its descriptor k0: the operation in the low bits,
 * then the format and the rounding-mode source. */
typedef enum IRFpKind {
    IR_FP_ADD,   /* a + b */
    IR_FP_SUB,   /* a - b */
    IR_FP_MUL,   /* a * b */
    IR_FP_DIV,   /* a / b */
    IR_FP_SQRT,  /* sqrt(a) */
    IR_FP_MADD,  /* a * b + c, one rounding */
    IR_FP_MSUB,  /* a * b - c */
    IR_FP_NMSUB, /* -(a * b) + c */
    IR_FP_NMADD, /* -(a * b) - c */
    IR_FP_EQ,    /* a == b ? 1 : 0, quiet */
    IR_FP_LT,    /* a < b ? 1 : 0, signaling */
    IR_FP_LE,    /* a <= b ? 1 : 0, signaling */
    IR_FP_MIN,   /* minimumNumber(a, b) (IEEE 754-2019), -0 < +0 */
    IR_FP_MAX,   /* maximumNumber(a, b) */
    IR_FP_FROM_W, /* (format) (int32_t) a */
    IR_FP_FROM_L, /* (format) (int64_t) a */
    IR_FP_TO_W,   /* (int64_t) (int32_t) a, rounded; saturating */
    IR_FP_TO_L,   /* (int64_t) a, rounded; saturating */
    IR_FP_NB_KINDS
} IRFpKind;

enum {
    IR_FP_KIND_MASK = 0x1f,
    IR_FP_DOUBLE = 1 << 5, /* binary64; else binary32 NaN-boxed in 64 bits */
    IR_FP_DYN = 1 << 6,    /* rounding mode read from env (rm_offset); not for compares */
    IR_FP_FAULTS = 1 << 7, /* the fallback may leave through fault_jmp */
    IR_FP_RTZ = 1 << 8,    /* static round toward zero: IR_FP_TO_W/L only */
    IR_FP_DESC_MASK = IR_FP_KIND_MASK | IR_FP_DOUBLE | IR_FP_DYN | IR_FP_FAULTS | IR_FP_RTZ,
};

_Static_assert(IR_FP_NB_KINDS <= IR_FP_KIND_MASK + 1, "IR_FP_KIND_MASK too narrow");

/* What a frontend tells the backends about its FP state, for the fp op.
 *
 * The guard: when the byte at flags_offset has the bits nx_mask set (the
 * inexact flag has accrued), the operands are well-formed (binary32: the
 * upper 32 bits all ones), the rounding mode is round-to-nearest-even
 * (static, or with IR_FP_DYN the byte at rm_offset is 0; or IR_FP_RTZ) and
 * the host's IEEE 754 result in that mode is finite and normal with a biased exponent
 * of at least 2, or is a zero that is exact by construction (a sum or
 * difference, a square root, a product with a zero factor, a quotient with
 * a zero dividend), the fallback returns exactly that host result
 * (binary32: NaN-boxed) and changes nothing else that is visible. For
 * conversions from integers any result qualifies; for conversions to
 * integers, any in range that is not the smallest integer (the host's
 * "integer indefinite"). For compares, min and max the guard is only
 * well-formed operands, neither a NaN (for min and max, also not equal):
 * then the fallback returns the relation (0 or 1), or the smaller or the
 * larger operand, and changes nothing else. The
 * rest (NaNs, infinities, other zeros, tiny results, other rounding modes,
 * flags) belongs to the fallback. */
typedef struct IRFpEnv {
    const char *name;
    uint64_t (*fallback)(void *env, uint64_t a, uint64_t b, uint64_t c, uint64_t desc);
    int32_t flags_offset;
    uint8_t nx_mask;
    int32_t rm_offset;
} IRFpEnv;

/* Description of one guest global, registered by the frontend. */
typedef struct IRGlobalDef {
    const char *name;
    int32_t env_offset;
} IRGlobalDef;

typedef struct IRBlock {
    IROp *ops;
    uint32_t nb_ops, cap_ops;
    IRTemp *temps;
    uint32_t nb_temps, cap_temps;
    uint32_t nb_globals;
    uint32_t nb_labels;
    bool overflow; /* too many temps or ops: the frontend must end the block */
} IRBlock;

/* Lifetime: init once with the frontend's globals, reset per block. */
void ir_block_init(IRBlock *b, const IRGlobalDef *globals, unsigned nb_globals);
void ir_block_reset(IRBlock *b);
void ir_block_destroy(IRBlock *b);
/* Deep copy (used by the interpreter backend to keep a block's ops). */
void ir_block_copy(IRBlock *dst, const IRBlock *src);

/* Temps. */
IRTempId ir_new_local(IRBlock *b);
IRTempId ir_const(IRBlock *b, uint64_t val);
static inline bool ir_temp_is_const(const IRBlock *b, IRTempId t)
{
    return b->temps[t].kind == IR_TEMP_CONST;
}
static inline bool ir_temp_is_global(const IRBlock *b, IRTempId t)
{
    return b->temps[t].kind == IR_TEMP_GLOBAL;
}
unsigned ir_new_label(IRBlock *b);

/* Emitters. Each appends one op; see ops.def for semantics. */
IROp *ir_emit(IRBlock *b, IROpcode opc);
void ir_gen_insn_start(IRBlock *b, uint64_t guest_pc);
void ir_gen_mov(IRBlock *b, IRTempId out, IRTempId a);
void ir_gen_unary(IRBlock *b, IROpcode opc, IRTempId out, IRTempId a);
void ir_gen_binary(IRBlock *b, IROpcode opc, IRTempId out, IRTempId a, IRTempId c);
void ir_gen_setcond(IRBlock *b, IRCond cond, IRTempId out, IRTempId a, IRTempId c);
void ir_gen_movcond(IRBlock *b, IRCond cond, IRTempId out, IRTempId a, IRTempId c,
                    IRTempId vtrue, IRTempId vfalse);
void ir_gen_ld(IRBlock *b, IRTempId out, IRTempId addr, IRMemOp mo);
void ir_gen_st(IRBlock *b, IRTempId val, IRTempId addr, IRMemOp mo);
/* The same at address base + disp (|disp| <= IR_MAX_DISP). */
#define IR_MAX_DISP 2048
void ir_gen_ld_disp(IRBlock *b, IRTempId out, IRTempId base, int64_t disp, IRMemOp mo);
void ir_gen_st_disp(IRBlock *b, IRTempId val, IRTempId base, int64_t disp, IRMemOp mo);
void ir_gen_call(IRBlock *b, IRTempId out, const IRHelper *h, IRTempId a0, IRTempId a1,
                 IRTempId a2);
void ir_gen_call_leaf(IRBlock *b, IRTempId out, const IRHelper *h, IRTempId a0, IRTempId a1,
                      IRTempId a2);
/* out = fp op desc (IRFpKind | IR_FP_DOUBLE | IR_FP_DYN) on a, b, c. */
void ir_gen_ld_env32(IRBlock *b, IRTempId out, int32_t offset);
void ir_gen_st_env32(IRBlock *b, IRTempId val, int32_t offset);
void ir_gen_fp(IRBlock *b, IRTempId out, const IRFpEnv *env, uint64_t desc, IRTempId a,
               IRTempId c, IRTempId d);
void ir_gen_label(IRBlock *b, unsigned label);
void ir_gen_br(IRBlock *b, unsigned label);
void ir_gen_brcond(IRBlock *b, IRCond cond, IRTempId a, IRTempId c, unsigned label);
void ir_gen_brloop(IRBlock *b, IRCond cond, IRTempId a, IRTempId c, unsigned label,
                   uint64_t label_pc);
/* The condition and the label of a brloop. */
static inline IRCond ir_brloop_cond(const IROp *op)
{
    return (IRCond)(op->c[0] & 0xff);
}
static inline uint32_t ir_brloop_label(const IROp *op)
{
    return (uint32_t)(op->c[0] >> 8);
}
/* Chain slots of a block: goto_tb takes 0 .. IR_NB_CHAIN_SLOTS - 1. */
#define IR_NB_CHAIN_SLOTS 7
void ir_gen_goto_tb(IRBlock *b, unsigned slot);
void ir_gen_goto_ptr(IRBlock *b);
void ir_gen_exit_tb(IRBlock *b, unsigned excp);

/* Evaluation of one condition / one pure op on constants (shared by the
 * optimizer's folding and the interpreter, so both agree bit for bit). */
bool ir_eval_cond(IRCond cond, uint64_t a, uint64_t b);
/* Computes a pure value op (not ld/st/call/control); returns false if opc is
 * not a pure value op. */
bool ir_eval_op(IROpcode opc, const uint64_t *in, const uint64_t *c, uint64_t *out);

/* Passes. */
void ir_optimize(IRBlock *b);     /* fold, copy-propagate, eliminate dead code */
void ir_liveness(IRBlock *b);     /* fills dead_in; drops ops with dead outputs */
/* Checks structural rules; returns 0 or -1 with a message in err. */
int ir_validate(const IRBlock *b, char *err, size_t errlen);
void ir_dump(const IRBlock *b, FILE *f);

#endif
