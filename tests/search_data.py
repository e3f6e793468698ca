"""Real papers for the search tests: rows copied from ../shared/data/papers.jsonl.gz and the seed page
(../shared/seeds/000_efbe1e64ca0036ba.txt), abstracts shortened to their first sentences (JRT's kept whole: the
name JRT-RNN appears only late in it)."""
from bot.models import Paper

ROWS = [
    dict(
        title='Diffusion Models Are Real-Time Game Engines',
        arxiv_id='2408.14837',
        authors=('Dani Valevski', 'Yaniv Leviathan', 'Moab Arar', 'Shlomi Fruchter'),
        published='2024-08-27', hf_date='2024-08-28', upvotes=61,
        abstract=(
            'We present GameNGen, the first game engine powered entirely by a neural model that enables real-time '
            'interaction with a complex environment over long trajectories at high quality. GameNGen can '
            'interactively simulate the classic game DOOM at over 20 frames per second on a single TPU. Next '
            'frame prediction achieves a PSNR of 29.4, comparable to lossy JPEG compression. Human raters are '
            'only slightly better than random chance at distinguishing short clips of the game from clips of the '
            'simulation. '
        ),
    ),
    dict(
        title='KG-HTC: Integrating Knowledge Graphs into LLMs for Effective Zero-shot Hierarchical Text Classification',
        arxiv_id='2505.05583',
        authors=('Qianbo Zang', 'Christophe Zgrzendek', 'Igor Tchappi', 'Afshin Khadangi', 'Johannes Sedlmeir'),
        published='2025-05-12', hf_date=None, upvotes=None,
        abstract=(
            'Hierarchical Text Classification (HTC) involves assigning documents to labels organized within a '
            'taxonomy. Most previous research on HTC has focused on supervised methods. However, in real-world '
            'scenarios, employing supervised HTC can be challenging due to a lack of annotated data. Moreover, '
            'HTC often faces issues with large label spaces and long-tail distributions. '
        ),
    ),
    dict(
        title='StepAL: Step-aware Active Learning for Cataract Surgical Videos',
        arxiv_id='2507.22059',
        authors=('Nisarg A. Shah', 'Bardia Safaei', 'Shameema Sikder', 'S. Swaroop Vedula', 'Vishal M. Patel'),
        published='2025-07-30', hf_date=None, upvotes=None,
        abstract=(
            'Active learning (AL) can reduce annotation costs in surgical video analysis while maintaining model '
            'performance. However, traditional AL methods, developed for images or short video clips, are '
            'suboptimal for surgical step recognition due to inter-step dependencies within long, untrimmed '
            'surgical videos. These methods typically select individual frames or clips for labeling, which is '
            'ineffective for surgical videos where annotators require the context of the entire video for '
            'annotation. '
        ),
    ),
    dict(
        title='Discrete Diffusion Models with MLLMs for Unified Medical Multimodal Generation',
        arxiv_id='2510.06131',
        authors=('Jiawei Mao', 'Yuhan Wang', 'Lifeng Chen', 'Can Zhao', 'Yucheng Tang', 'Dong Yang'),
        published='2025-10-07', hf_date='2025-10-08', upvotes=4,
        abstract=(
            'Recent advances in generative medical models are constrained by modality-specific scenarios that '
            'hinder the integration of complementary evidence from imaging, pathology, and clinical notes. This '
            'fragmentation limits their evolution into foundation models that can learn and reason across the '
            'full spectrum of biomedical data. We propose MeDiM, the first medical discrete diffusion model that '
            'learns shared distributions across modalities without modality-specific components. '
        ),
    ),
    dict(
        title='Diffusion Transformers with Representation Autoencoders',
        arxiv_id='2510.11690',
        authors=('Boyang Zheng', 'Nanye Ma', 'Shengbang Tong', 'Saining Xie'),
        published='2025-10-13', hf_date='2025-10-14', upvotes=39,
        abstract=(
            'Latent generative modeling, where a pretrained autoencoder maps pixels into a latent space for the '
            'diffusion process, has become the standard strategy for Diffusion Transformers (DiT); however, the '
            'autoencoder component has barely evolved. Most DiTs continue to rely on the original VAE encoder, '
            'which introduces several limitations: outdated backbones that compromise architectural simplicity, '
            'low-dimensional latent spaces that restrict information capacity, and weak representations that '
            'result from purely reconstruction-based training and ultimately limit generative quality. '
        ),
    ),
    dict(
        title='Diffusion Language Models are Super Data Learners',
        arxiv_id='2511.03276',
        authors=('Jinjie Ni', 'Qian Liu', 'Longxu Dou', 'Chao Du', 'Zili Wang', 'Hang Yan'),
        published='2025-11-05', hf_date='2025-11-06', upvotes=45,
        abstract=(
            'Under strictly controlled pre-training settings, we observe a Crossover: when unique data is '
            'limited, diffusion language models (DLMs) consistently surpass autoregressive (AR) models by '
            'training for more epochs. The crossover shifts later with more or higher-quality data, earlier with '
            'larger models, and persists across dense and sparse architectures. '
        ),
    ),
    dict(
        title='Efficient Generative Modeling beyond Memoryless Diffusion via Adjoint Schrödinger Bridge Matching',
        arxiv_id='2602.15396',
        authors=('Jeongwoo Shin', 'Jinhwan Sul', 'Joonseok Lee', 'Jaewong Choi', 'Jaemoo Choi'),
        published='2026-02-18', hf_date=None, upvotes=None,
        abstract=(
            'Diffusion models often yield highly curved trajectories and noisy score targets due to an '
            'uninformative, memoryless forward process that induces independent data-noise coupling. We propose '
            'Adjoint Schrödinger Bridge Matching (ASBM), a generative modeling framework that recovers optimal '
            'trajectories in high dimensions via two stages. First, we view the Schrödinger Bridge (SB) forward '
            'dynamic as a coupling construction problem and learn it through a data-to-energy sampling '
            'perspective that transports data to an energy-defined prior. '
        ),
    ),
    dict(
        title='CUA-Gym: Scaling Verifiable Training Environments and Tasks for Computer-Use Agents',
        arxiv_id='2605.25624',
        authors=('Bowen Wang', 'Dunjie Lu', 'Junli Wang', 'Tianyi Bai', 'Shixuan Liu', 'Zhipeng Zhang'),
        published='2026-05-26', hf_date=None, upvotes=None,
        abstract=(
            'Reinforcement learning with verifiable rewards (RLVR) has driven breakthroughs in domains such as '
            'math, tool-use, and software engineering, yet its extension to computer-use agents (CUAs) has been '
            'bottlenecked by the scarcity of scalable training data with deterministic rewards. Constructing such '
            'data for CUAs requires consistent task instruction, executable environment, and verifiable reward. '
            'However, hand-curated benchmarks achieve high reward fidelity but cover few applications and LLM-as- '
            'judge-based datasets scale broadly but lack reliable verification. '
        ),
    ),
    dict(
        title='The I/O Complexity of Attention, or How Optimal is Flash Attention?',
        arxiv_id=None,
        authors=(),
        published=None, hf_date=None, upvotes=None,
        abstract=(
            'Self-attention is at the heart of the popular Transformer architecture, yet suffers from quadratic '
            'time and memory complexity. The breakthrough FlashAttention algorithm revealed I/O complexity as the '
            'true bottleneck in scaling Transformers. Given two levels of memory hierarchy, a fast cache (e.g. '
            'GPU on-chip SRAM) and a slow memory (e.g. GPU high-bandwidth memory), the I/O complexity measures '
            'the number of accesses to memory. FlashAttention computes attention using N^2d^2{M} I/O operations '
            'where N is the dimension of the attention matrix, d the head-dimension and M the cache size. '
        ),
    ),
    dict(
        title='MKOR: Momentum-Enabled Kronecker-Factor-Based Optimizer Using Rank-1 Updates',
        arxiv_id=None,
        authors=(),
        published=None, hf_date=None, upvotes=None,
        abstract=(
            'This work proposes a Momentum-Enabled Kronecker-Factor-Based Optimizer Using Rank-1 updates, called '
            'MKOR, that improves the training time and convergence properties of deep neural networks (DNNs). '
            'Second-order techniques, while enjoying higher convergence rates vs first-order counterparts, have '
            'cubic complexity with respect to either the model size and/or the training batch size. Hence they '
            'exhibit poor scalability and performance in transformer models, e.g. '
        ),
    ),
    dict(
        title='MPCViT: Searching for Accurate and Efficient MPC-Friendly Vision Transformer with Heterogeneous Attention',
        arxiv_id=None,
        authors=(),
        published=None, hf_date=None, upvotes=None,
        abstract=(
            'Secure multi-party computation (MPC) enables computation directly on encrypted data and protects '
            'both data and model privacy in deep learning inference. However, existing neural network '
            'architectures, including Vision Transformers (ViTs), are not designed or optimized for MPC and incur '
            'significant latency overhead. We observe Softmax accounts for the major latency bottleneck due to a '
            'high communication complexity, but can be selectively replaced or linearized without compromising '
            'the model accuracy. '
        ),
    ),
    dict(
        title='Just read twice: closing the recall gap for recurrent language models',
        arxiv_id=None,
        authors=(),
        published=None, hf_date=None, upvotes=None,
        abstract=(
            'Recurrent large language models that compete with Transformers in language modeling perplexity are '
            'emerging at a rapid rate (e.g., Mamba, RWKV). Excitingly, these architectures use a constant amount '
            'of memory during inference. However, due to the limited memory, recurrent LMs cannot recall and use '
            'all the information in long contexts leading to brittle in-context learning (ICL) quality. A key '
            'challenge for efficient LMs is selecting what information to store versus discard. In this work, we '
            'observe the order in which information is shown to the LM impacts the selection difficulty. To '
            'formalize this, we show that the hardness of information recall reduces to the hardness of a problem '
            'called set disjointness (SD), a quintessential problem in communication complexity that requires a '
            'streaming algorithm (e.g., recurrent model) to decide whether inputted sets are disjoint. We '
            'empirically and theoretically show that the recurrent memory required to solve SD changes with set '
            'order, i.e., whether the smaller set appears first in-context. Our analysis suggests, to mitigate '
            'the reliance on data order, we can put information in the right order in-context or process prompts '
            'non-causally. Towards that end, we propose: (1) JRT-Prompt, where context gets repeated multiple '
            'times in the prompt, effectively showing the model all data orders. This gives 11.0 pm 1.3 points of '
            'improvement, averaged across 16 recurrent LMs and the 6 ICL tasks, with 11.9times higher throughput '
            'than FlashAttention-2 for generation prefill (length 32k, batch size 16, NVidia H100). We then '
            'propose (2) JRT-RNN, which uses non-causal prefix-linear-attention to process prompts and provides '
            '99% of Transformer quality at 360M params., 30B tokens and 96% at 1.3B params., 50B tokens on '
            'average across the tasks, with 19.2times higher throughput for prefill than FA2. '
        ),
    ),
    dict(
        title='Are Emergent Abilities of Large Language Models a Mirage?',
        arxiv_id=None,
        authors=(),
        published=None, hf_date=None, upvotes=None,
        abstract=(
            'Recent work claims that large language models display emergent abilities, abilities not present in '
            'smaller-scale models that are present in larger-scale models. What makes emergent abilities '
            'intriguing is two-fold: their sharpness, transitioning seemingly instantaneously from not present to '
            'present, and their unpredictability, appearing at seemingly unforeseeable model scales. '
        ),
    ),
]


def papers() -> list[Paper]:
    return [Paper.make(r.pop("title"), r.pop("arxiv_id"), **r) for r in (dict(x) for x in ROWS)]
